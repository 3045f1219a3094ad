from tsk.cli import main

raise SystemExit(main())
