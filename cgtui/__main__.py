from cgtui.cli import main

raise SystemExit(main())
