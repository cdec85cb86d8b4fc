from asdkit.cli import main

main()
