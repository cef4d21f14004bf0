import QuarryCLI
QuarryCLI.main()
