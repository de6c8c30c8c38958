//! Where webhooks may be posted: public addresses only, unless allowed.
//!
//! A subscription's URL is chosen by an administrator, but the post comes
//! from inside the deployment: without a check, a URL on `127.0.0.1`, a
//! private network or a cloud metadata address (`169.254.169.254`) makes
//! the server reach what only it can reach, and the delivery log (a status
//! for an open port, an error for a closed one) turns it into a scanner.
//!
//! So every address a delivery would connect to is checked, on every
//! delivery and after DNS resolution: the name is resolved here, every
//! address must pass, and the post connects only to those addresses (no
//! second lookup that could answer differently, no proxy that would look
//! the name up itself). Refused are loopback, private (RFC 1918), shared
//! (100.64/10), link-local, multicast, unspecified, reserved,
//! documentation and benchmarking ranges; in IPv6 everything outside
//! global unicast (2000::/3), unique-local and link-local included, the
//! IETF, documentation and 6to4 blocks within it, and any IPv4 address
//! mapped, compatible or NAT64-translated that would be refused itself.
//!
//! Operators with internal receivers list them in `webhook_allow_private`:
//! each entry an address or a CIDR network, optionally with a port
//! (`10.1.0.0/16`, `127.0.0.1:9000`, `fd00::/8`, `[fd00::1]:8443`). Entries
//! are addresses, not names: a name would trust whatever it resolves to at
//! the time of a delivery.

use futures_util::future::BoxFuture;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

/// Longest a name's resolution may take before the attempt fails.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// One entry of the allow-list: a network, and a port if given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllowRule {
    net: IpNet,
    port: Option<u16>,
}

impl AllowRule {
    fn allows(&self, ip: IpAddr, port: u16) -> bool {
        self.net.contains(&ip) && self.port.is_none_or(|p| p == port)
    }
}

impl FromStr for AllowRule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bad = || {
            format!(
                "{text:?} is not an address or CIDR network with an optional port \
                 (e.g. 10.1.0.0/16, 127.0.0.1:9000, fd00::/8, [fd00::1]:8443)"
            )
        };
        let (net, port) = if let Some(rest) = text.strip_prefix('[') {
            let (net, after) = rest.split_once(']').ok_or_else(bad)?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or_else(bad)?),
            };
            (net, port)
        } else if text.matches(':').count() == 1 {
            let (net, port) = text.split_once(':').ok_or_else(bad)?;
            (net, Some(port))
        } else {
            (text, None)
        };
        let net = match net.parse::<IpNet>() {
            Ok(net) => net,
            Err(_) => IpNet::from(net.parse::<IpAddr>().map_err(|_| bad())?),
        };
        if net.trunc() != net {
            return Err(format!(
                "{text:?} has host bits set; write the network, e.g. {}",
                net.trunc()
            ));
        }
        let port = port
            .map(|p| p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad))
            .transpose()?;
        Ok(Self { net, port })
    }
}

impl fmt::Display for AllowRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.port, self.net) {
            (None, net) => write!(f, "{net}"),
            (Some(port), IpNet::V4(net)) => write!(f, "{net}:{port}"),
            (Some(port), IpNet::V6(net)) => write!(f, "[{net}]:{port}"),
        }
    }
}

/// The operator's exceptions to the refusal of non-public addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowList(Vec<AllowRule>);

impl AllowList {
    pub fn parse<S: AsRef<str>>(entries: impl IntoIterator<Item = S>) -> Result<Self, String> {
        entries
            .into_iter()
            .filter(|e| !e.as_ref().trim().is_empty())
            .map(|e| e.as_ref().parse())
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn allows(&self, ip: IpAddr, port: u16) -> bool {
        let plain = ip.to_canonical();
        self.0
            .iter()
            .any(|rule| rule.allows(ip, port) || rule.allows(plain, port))
    }
}

/// An address a webhook may not be posted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub address: IpAddr,
    /// What kind of address it is, e.g. `loopback`.
    pub kind: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "target address {} is not allowed ({})",
            self.address, self.kind
        )
    }
}

/// Whether a post may connect to `ip` on `port`.
pub fn check(ip: IpAddr, port: u16, allow: &AllowList) -> Result<(), Refused> {
    if allow.allows(ip, port) {
        return Ok(());
    }
    match not_public(ip) {
        Some(kind) => Err(Refused { address: ip, kind }),
        None => Ok(()),
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix)
}

const fn v6(s: [u16; 8], prefix: u8) -> Ipv6Net {
    Ipv6Net::new_assert(
        Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
        prefix,
    )
}

/// IPv4 ranges that are not publicly routable (IANA special-purpose
/// registry), with what they are.
const NOT_PUBLIC_V4: &[(Ipv4Net, &str)] = &[
    (v4(0, 0, 0, 0, 8), "unspecified"),
    (v4(10, 0, 0, 0, 8), "private"),
    (v4(100, 64, 0, 0, 10), "shared address space"),
    (v4(127, 0, 0, 0, 8), "loopback"),
    (v4(169, 254, 0, 0, 16), "link-local"),
    (v4(172, 16, 0, 0, 12), "private"),
    (v4(192, 0, 0, 0, 24), "IETF protocol assignments"),
    (v4(192, 0, 2, 0, 24), "documentation"),
    (v4(192, 88, 99, 0, 24), "6to4 relay"),
    (v4(192, 168, 0, 0, 16), "private"),
    (v4(198, 18, 0, 0, 15), "benchmarking"),
    (v4(198, 51, 100, 0, 24), "documentation"),
    (v4(203, 0, 113, 0, 24), "documentation"),
    (v4(224, 0, 0, 0, 4), "multicast"),
    (v4(240, 0, 0, 0, 4), "reserved"),
];

const GLOBAL_UNICAST_V6: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

/// Blocks inside global unicast that are not public.
const NOT_PUBLIC_V6: &[(Ipv6Net, &str)] = &[
    (
        v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),
        "IETF protocol assignments",
    ),
    (v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), "documentation"),
    (v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), "6to4"),
    (v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), "documentation"),
];

const NAT64: Ipv6Net = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);
const IPV4_COMPATIBLE: Ipv6Net = v6([0, 0, 0, 0, 0, 0, 0, 0], 96);

/// What kind of non-public address `ip` is, or `None` for a public one.
pub fn not_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => NOT_PUBLIC_V4
            .iter()
            .find(|(net, _)| net.contains(&ip))
            .map(|(_, kind)| *kind),
        IpAddr::V6(ip) => {
            if let Some(mapped) = ip.to_ipv4_mapped() {
                return not_public(IpAddr::V4(mapped));
            }
            if ip.is_unspecified() {
                return Some("unspecified");
            }
            if ip.is_loopback() {
                return Some("loopback");
            }
            if NAT64.contains(&ip) {
                let [.., a, b, c, d] = ip.octets();
                return not_public(IpAddr::V4(Ipv4Addr::new(a, b, c, d)));
            }
            if IPV4_COMPATIBLE.contains(&ip) {
                return Some("IPv4-compatible");
            }
            if !GLOBAL_UNICAST_V6.contains(&ip) {
                return Some(match ip.segments()[0] {
                    s if s & 0xfe00 == 0xfc00 => "unique local",
                    s if s & 0xffc0 == 0xfe80 => "link-local",
                    s if s & 0xff00 == 0xff00 => "multicast",
                    _ => "reserved",
                });
            }
            NOT_PUBLIC_V6
                .iter()
                .find(|(net, _)| net.contains(&ip))
                .map(|(_, kind)| *kind)
        }
    }
}

/// Looks up a host name's addresses. Swappable so that tests can make a
/// name change its answer between a subscription and a delivery.
pub trait Resolver: Send + Sync {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>>;
}

/// The system's resolver (`getaddrinfo`: `/etc/hosts`, then DNS).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>> {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host, port))
                .await?
                .map(|a| a.ip())
                .collect())
        })
    }
}

/// Why a URL has no address to post to.
#[derive(Debug, PartialEq, Eq)]
pub enum TargetError {
    /// One of its addresses is not allowed.
    Refused(Refused),
    /// The URL or its host cannot be used.
    Unusable(String),
    /// The name did not resolve (now).
    Unresolved(String),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(refused) => refused.fmt(f),
            Self::Unusable(why) | Self::Unresolved(why) => f.write_str(why),
        }
    }
}

/// A URL's host with the addresses, all checked, a post may connect to.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// The host name, when the URL has one rather than an address.
    pub name: Option<String>,
    pub addresses: Vec<SocketAddr>,
}

/// Resolves `url`'s host (a literal address as is) and checks every
/// address.
pub async fn resolve(
    url: &reqwest::Url,
    allow: &AllowList,
    resolver: &dyn Resolver,
) -> Result<Target, TargetError> {
    let port = url
        .port_or_known_default()
        .ok_or_else(|| TargetError::Unusable("the URL has no port".into()))?;
    let (name, ips) = match url.host() {
        Some(url::Host::Ipv4(ip)) => (None, vec![IpAddr::V4(ip)]),
        Some(url::Host::Ipv6(ip)) => (None, vec![IpAddr::V6(ip)]),
        Some(url::Host::Domain(name)) => {
            let ips = match tokio::time::timeout(RESOLVE_TIMEOUT, resolver.lookup(name, port)).await
            {
                Ok(Ok(ips)) if !ips.is_empty() => ips,
                Ok(Ok(_)) => {
                    return Err(TargetError::Unresolved(format!("{name} has no address")));
                }
                Ok(Err(e)) => {
                    return Err(TargetError::Unresolved(format!(
                        "cannot resolve {name}: {e}"
                    )));
                }
                Err(_) => {
                    return Err(TargetError::Unresolved(format!(
                        "resolving {name} took longer than {} s",
                        RESOLVE_TIMEOUT.as_secs()
                    )));
                }
            };
            (Some(name.to_owned()), ips)
        }
        None => return Err(TargetError::Unusable("the URL has no host".into())),
    };
    for ip in &ips {
        check(*ip, port, allow).map_err(TargetError::Refused)?;
    }
    Ok(Target {
        name,
        addresses: ips
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> Option<&'static str> {
        not_public(ip.parse().unwrap())
    }

    #[test]
    fn non_public_addresses_are_recognised() {
        for (ip, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("0.0.0.0", "unspecified"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "shared address space"),
            ("100.127.255.255", "shared address space"),
            ("169.254.169.254", "link-local"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("255.255.255.255", "reserved"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.0.0.1", "private"),
            ("::ffff:169.254.169.254", "link-local"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("64:ff9b::7f00:1", "loopback"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("fd00::1", "unique local"),
            ("fc00::1", "unique local"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("2002:7f00:1::", "6to4"),
            ("2001:0:4136:e378::1", "IETF protocol assignments"),
            ("100::1", "reserved"),
        ] {
            assert_eq!(refused(ip), Some(kind), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:93.184.216.34",
            "64:ff9b::808:808",
        ] {
            assert_eq!(refused(ip), None, "{ip}");
        }
    }

    #[test]
    fn the_allow_list_takes_addresses_networks_and_ports() {
        let allow = AllowList::parse([
            "127.0.0.1:9000",
            " 10.1.0.0/16 ",
            "fd00::/8",
            "[::1]:8443",
            "[fe80::/10]:80",
            "",
        ])
        .unwrap();
        let ok = |ip: &str, port| check(ip.parse().unwrap(), port, &allow).is_ok();
        assert!(ok("127.0.0.1", 9000));
        assert!(!ok("127.0.0.1", 9001), "another port");
        assert!(!ok("127.0.0.2", 9000));
        assert!(ok("::ffff:127.0.0.1", 9000), "the same address, mapped");
        assert!(ok("10.1.200.3", 443));
        assert!(!ok("10.2.0.1", 443));
        assert!(ok("fd12::1", 1));
        assert!(ok("::1", 8443));
        assert!(!ok("::1", 80));
        assert!(ok("fe80::1", 80));
        assert!(ok("93.184.216.34", 443), "public addresses need no entry");
        assert_eq!(
            allow.0.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "127.0.0.1/32:9000",
                "10.1.0.0/16",
                "fd00::/8",
                "[::1/128]:8443",
                "[fe80::/10]:80"
            ]
        );
        // An IPv6 entry with a port needs brackets: `::1:80` is the address
        // 0:0:0:0:0:0:1:80.
        assert_eq!(
            AllowList::parse(["::1:80"]).unwrap().0[0].to_string(),
            "::1:80/128"
        );
        for bad in [
            "localhost",
            "10.1.0.0/33",
            "10.1.0.1/16",
            "127.0.0.1:0",
            "127.0.0.1:http",
            "[::1",
            "[::1]80",
            "intranet:443",
        ] {
            assert!(AllowList::parse([bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_normalise_every_ipv4_form() {
        // The url crate parses hosts of http(s) URLs as browsers do, so the
        // check sees the address a client would connect to.
        for url in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0x7f.0.0.1/",
            "http://0177.0.0.1/",
            "http://127.0.0.1./",
            "http://１２７.０.０.１/",
        ] {
            let parsed = reqwest::Url::parse(url).unwrap();
            assert_eq!(
                parsed.host(),
                Some(url::Host::Ipv4(Ipv4Addr::LOCALHOST)),
                "{url}"
            );
        }
        let parsed = reqwest::Url::parse("http://[::ffff:127.0.0.1]:8080/").unwrap();
        assert_eq!(
            parsed.host(),
            Some(url::Host::Ipv6("::ffff:7f00:1".parse().unwrap()))
        );
    }

    struct Fixed(Vec<IpAddr>);

    impl Resolver for Fixed {
        fn lookup<'a>(
            &'a self,
            _host: &'a str,
            _port: u16,
        ) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>> {
            Box::pin(async move { Ok(self.0.clone()) })
        }
    }

    #[tokio::test]
    async fn every_resolved_address_must_pass() {
        let url = reqwest::Url::parse("https://hooks.example/in").unwrap();
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let none = AllowList::default();
        let target = resolve(&url, &none, &Fixed(vec![public])).await.unwrap();
        assert_eq!(target.name.as_deref(), Some("hooks.example"));
        assert_eq!(target.addresses, [SocketAddr::new(public, 443)]);
        let got = resolve(&url, &none, &Fixed(vec![public, loopback])).await;
        assert_eq!(
            got,
            Err(TargetError::Refused(Refused {
                address: loopback,
                kind: "loopback"
            }))
        );
        assert_eq!(
            got.unwrap_err().to_string(),
            "target address 127.0.0.1 is not allowed (loopback)"
        );
        let allow = AllowList::parse(["127.0.0.1:443"]).unwrap();
        assert!(
            resolve(&url, &allow, &Fixed(vec![public, loopback]))
                .await
                .is_ok()
        );
        assert!(matches!(
            resolve(&url, &none, &Fixed(vec![])).await,
            Err(TargetError::Unresolved(_))
        ));
        let literal = reqwest::Url::parse("http://[::1]:8080/").unwrap();
        assert!(matches!(
            resolve(&literal, &none, &Fixed(vec![public])).await,
            Err(TargetError::Refused(Refused {
                kind: "loopback",
                ..
            }))
        ));
    }
}
