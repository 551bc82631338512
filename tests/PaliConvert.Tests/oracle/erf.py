"""erf of each argument, by Python's math.erf (an oracle for the C# one)."""
import math
import sys

for a in sys.argv[1:]:
    print(repr(math.erf(float(a))))
