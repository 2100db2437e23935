from resident_card.cli import main

main()
