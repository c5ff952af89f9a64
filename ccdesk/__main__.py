from ccdesk.app import main

raise SystemExit(main())
