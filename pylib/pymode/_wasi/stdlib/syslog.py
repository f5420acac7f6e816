"""syslog on python.wasm: messages go to the Worker's log (the host's log import), with their priority."""
from pymode import _abi

(LOG_EMERG, LOG_ALERT, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG) = range(8)
LOG_KERN, LOG_USER, LOG_MAIL, LOG_DAEMON, LOG_AUTH, LOG_SYSLOG = 0, 8, 16, 24, 32, 40
LOG_LPR, LOG_NEWS, LOG_UUCP, LOG_CRON, LOG_AUTHPRIV = 48, 56, 64, 72, 80
LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7 = range(128, 192, 8)
LOG_PID, LOG_CONS, LOG_NDELAY, LOG_ODELAY, LOG_NOWAIT, LOG_PERROR = 1, 2, 8, 4, 16, 32
# syslog priorities -> the host's log levels (Python's logging levels)
_LEVELS = {LOG_EMERG: 50, LOG_ALERT: 50, LOG_CRIT: 50, LOG_ERR: 40, LOG_WARNING: 30, LOG_NOTICE: 20, LOG_INFO: 20,
           LOG_DEBUG: 10}
_ident = None
_mask = 0xFF


def openlog(ident=None, logoption=0, facility=LOG_USER):
    global _ident
    _ident = ident


def closelog():
    global _ident
    _ident = None


def setlogmask(maskpri):
    global _mask
    old, _mask = _mask, maskpri or _mask
    return old


def LOG_MASK(pri):
    return 1 << pri


def LOG_UPTO(pri):
    return (1 << (pri + 1)) - 1


def syslog(priority, message=None):
    if message is None:
        priority, message = LOG_INFO, priority
    level = priority & 0x07
    if _mask & LOG_MASK(level):
        _abi.log(_LEVELS[level], f"{_ident}: {message}" if _ident else str(message))
