from boiler_module.main import main

main()
