"""The sync engine: one execution, read -> filter -> map -> diff -> write -> confirm -> record."""
