"""Pure schedule arithmetic and the loop that turns due syncs into executions."""
