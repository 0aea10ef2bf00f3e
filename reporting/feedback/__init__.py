"""配合反馈: cooperating units' feedback compiled for each lead unit and mailed to it."""
