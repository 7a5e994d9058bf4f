from telemetry_module.main import main

main()
