from toshav.cli import main

main()
