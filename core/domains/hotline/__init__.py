"""The 12349 convenience hotline (一门受理 by phone): a `hotline_operator` of a region finds the
caller by phone (blind index, audited), files a work order on their behalf (`channel:
HOTLINE`), every call is recorded, and resolved phone orders get a return visit (回访)."""
