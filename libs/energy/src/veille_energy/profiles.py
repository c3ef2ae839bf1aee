"""Power draw of PCs and monitors per state, with the public source of every default.

States of a PC over a period (the heartbeat counters map onto them one to one):

========  ===========================================  ==========================
state     meaning                                      heartbeat counter
========  ===========================================  ==========================
active    on, with user input                          ``seconds_active``
idle      on, without user input ("on-idle")           ``seconds_on - seconds_active``
asleep    sleeping or hibernating                      ``seconds_asleep``
off       neither on nor asleep (shut down, unplugged  the rest of the period
          or the agent not running)
========  ===========================================  ==========================

Default watts and where each comes from
---------------------------------------

===========  ======  =====  ======  =====  ===========================================
kind         active  idle   asleep  off    sources
===========  ======  =====  ======  =====  ===========================================
desktop      70      45     3       1      active, asleep: [BigFix]_ (70 W / 3 W), the same as
                                           [ConfigMgr]_ (0.07 kW on / 0.003 kW asleep);
                                           idle, off: engineering estimates [E1]_, [E2]_
laptop       25      12     2       0.5    active, asleep: [BigFix]_ (25 W / 2 W); [ConfigMgr]_
                                           says 0.02 kW / 0.001 kW (set them as overrides
                                           to reproduce a ConfigMgr report); idle, off:
                                           engineering estimates [E1]_, [E2]_
workstation  150     100    5       1.5    engineering estimates [E3]_ (no public default
                                           in the references above)
monitor      on 45   --     1       1      [BigFix]_ (45 W / 1 W); off: [E4]_
===========  ======  =====  ======  =====  ===========================================

.. [BigFix] HCL/IBM BigFix Power Management, revised default power draw assumptions,
   forum.bigfix.com, "revising the default power draw assumptions": desktop 70 W active /
   3 W standby, laptop 25 W / 2 W, monitor 45 W / 1 W.
.. [ConfigMgr] Microsoft Configuration Manager power management reports: desktop on
   0.07 kW, laptop on 0.02 kW, desktop asleep 0.003 kW, laptop asleep 0.001 kW
   (minutes per state per day x these constants).
.. [E1] On-idle is an engineering estimate, not a published default. ENERGY STAR's TEC
   method (computers spec) measures short idle and long idle separately from active use
   because an idle PC draws markedly less than one in use; we put idle at about 65 % of
   active for desktops (45/70) and about 50 % for laptops (12/25), whose power management
   throttles harder. Override per project or per model when metered figures exist.
.. [E2] Off is an engineering estimate: a shut-down PC still feeds its power supply and
   network card (wake-on-LAN). EU Regulation 1275/2008 capped off mode of office equipment
   at 1 W, halved to 0.5 W in 2013; we keep 0.5 W for laptops and 1 W for desktops, whose
   wake-on-LAN is usually enabled in managed fleets.
.. [E3] Workstations: engineering estimates, about twice a desktop (discrete GPU, more
   cores, larger power supply): 150 W active, 100 W idle, 5 W asleep, 1.5 W off.
.. [E4] A monitor whose PC is off shows "no signal" and sits in its standby mode rather
   than off (users rarely press its button), so its off draw defaults to its 1 W standby.

A laptop's figures include its built-in screen; ``monitors`` counts external monitors only.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from veille_contracts.agent import DeviceKind

# Watts are bounded so that a typo in a project setting (70000 for 70) is refused early.
Watts = Annotated[float, Field(ge=0, le=5000)]


class PowerState(StrEnum):
    active = "active"
    idle = "idle"
    asleep = "asleep"
    off = "off"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class PowerProfile(_Frozen):
    """Watts drawn by one PC (without external monitors) in each state."""

    active_w: Watts
    idle_w: Watts
    asleep_w: Watts
    off_w: Watts

    def watts(self, state: PowerState) -> float:
        match state:
            case PowerState.active:
                return self.active_w
            case PowerState.idle:
                return self.idle_w
            case PowerState.asleep:
                return self.asleep_w
            case PowerState.off:
                return self.off_w

    def overridden(self, override: ProfileOverride) -> PowerProfile:
        """This profile with the watts the override sets (the others unchanged)."""
        changes = override.model_dump(exclude_none=True)
        return self.model_copy(update=changes) if changes else self


class ProfileOverride(_Frozen):
    """Some watts of a profile, replaced for a project or a model; unset fields keep the default."""

    active_w: Watts | None = None
    idle_w: Watts | None = None
    asleep_w: Watts | None = None
    off_w: Watts | None = None


class MonitorProfile(_Frozen):
    """Watts drawn by one external monitor: on while its PC is on and the screen is on."""

    on_w: Watts
    sleep_w: Watts = Field(description="Screen turned off by the OS, or the PC asleep.")
    off_w: Watts = Field(description="The PC is off; the monitor waits in no-signal standby.")


DEFAULT_PROFILES: dict[DeviceKind, PowerProfile] = {
    DeviceKind.desktop: PowerProfile(active_w=70.0, idle_w=45.0, asleep_w=3.0, off_w=1.0),
    DeviceKind.laptop: PowerProfile(active_w=25.0, idle_w=12.0, asleep_w=2.0, off_w=0.5),
    DeviceKind.workstation: PowerProfile(active_w=150.0, idle_w=100.0, asleep_w=5.0, off_w=1.5),
}
DEFAULT_MONITOR = MonitorProfile(on_w=45.0, sleep_w=1.0, off_w=1.0)
