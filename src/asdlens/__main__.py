from asdlens.cli import main

main()
