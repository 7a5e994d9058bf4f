from solar_module.main import main

main()
