from battery_module.main import main

main()
