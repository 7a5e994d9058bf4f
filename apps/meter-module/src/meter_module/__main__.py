from meter_module.main import main

main()
