from controller_module.main import main

main()
