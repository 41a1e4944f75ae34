"""``host[:port]`` values from settings (an IP address, IPv6 in brackets), parsed in one place so a
bad value stops the process at start-up rather than failing on first use."""

import ipaddress

MSG_BAD_ADDRESS = "{name} must be an IP address with an optional port, e.g. 127.0.0.1:5353 or [::1]:53; got {value!r}."


def host_port_parse(value: str, *, default_port: int, name: str) -> tuple[str, int]:
    """``"127.0.0.1:5353"`` -> ``("127.0.0.1", 5353)``; ValueError naming the setting otherwise."""
    host, port = value.strip(), str(default_port)
    if host.startswith("["):
        host, sep, rest = host[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(MSG_BAD_ADDRESS.format(name=name, value=value))
        port = rest[1:] or port
    elif host.count(":") == 1:
        host, port = host.split(":")
    try:
        address = ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        raise ValueError(MSG_BAD_ADDRESS.format(name=name, value=value)) from None
    if not 0 < number < 65536:
        raise ValueError(MSG_BAD_ADDRESS.format(name=name, value=value))
    return str(address), number
