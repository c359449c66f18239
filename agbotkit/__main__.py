from agbotkit.cli import main

raise SystemExit(main())
