"""One module per lever family of the case (DESIGN.md "Levers").

* :mod:`.parks` - growing jobs (发展拓岗)
* :mod:`.training` - training (培训赋能)
* :mod:`.export` - moving labour out (输出转移)
* :mod:`.public_posts` - public posts as a safety net (公岗兜底)
* :mod:`.monitoring` - services that keep people in work (服务稳岗), dynamic clearing
"""
