from shapecheck.entry import main

main()
