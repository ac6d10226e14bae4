"""`torchrun` for Debian's PyTorch 1.13 on Python 3.11, whose torchrun fails at start with
"AttributeError: 'NoneType' object has no attribute 'get'" (Std.from_str("0") finds no flag: since
Python 3.11 iterating an IntFlag skips the zero member NONE and the combined member ALL). This wrapper
fixes that lookup and runs torchrun unchanged:

  /usr/bin/python3 reference/torchrun_compat.py --standalone --nproc_per_node 2 reference/train_dist.py ...

With a PyTorch whose torchrun starts (2.x), use torchrun itself.
"""
import re
import sys

from torch.distributed.elastic.multiprocessing import api
from torch.distributed import run

_original = api.Std.from_str.__func__


def _from_str(cls, vm):
    if re.fullmatch(r"\s*\d\s*", vm):  # one value for every local rank
        return cls(int(vm))
    if re.fullmatch(r"(\s*\d+:\d\s*,?)+", vm):  # local rank: value, ...
        return {int(i): cls(int(v)) for i, v in (m.split(":") for m in vm.split(",") if m.strip())}
    return _original(cls, vm)


api.Std.from_str = classmethod(_from_str)

if __name__ == "__main__":
    sys.argv[0] = "torchrun"
    sys.exit(run.main())
