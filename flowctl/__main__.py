from flowctl.cli.app import main

main()
