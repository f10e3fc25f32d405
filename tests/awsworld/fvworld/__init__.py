"""fvworld: the AWS "test world" for fleetvault.

moto 5.2.1's in-memory backends behind a WSGI layer of ours that fixes moto's
SigV4 defects, adds the APIs moto lacks, and injects faults.  See ../README.md.
"""
