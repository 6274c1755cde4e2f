import OlleeyCLI
CLI.main()
