namespace KvStore.Host.Flags;

/// <summary>How a flag's text is parsed (Go's flag package types as etcd declares them).</summary>
internal enum FlagKind
{
    String,
    Bool,
    Uint,
    Uint64,
    Int,
    Int64,
    /// <summary>A Go duration ("100ms", "1h30m"); in the config file also an integer of nanoseconds.</summary>
    Duration,
    /// <summary>Comma-separated URLs (scheme http, https, unix or unixs; host:port; no path).</summary>
    Urls,
    /// <summary>Comma-separated strings; in the config file also a YAML sequence.</summary>
    Strings,
}

/// <summary>
/// One flag etcd 3.4 knows (etcdmain/config.go), with its default. <see cref="Supported"/> flags shape this
/// member; the others are accepted, and a warning says they have no effect here.
/// </summary>
internal sealed record EtcdFlag(string Name, FlagKind Kind, string Default, bool Supported, string Usage)
{
    /// <summary>The environment variable etcd reads for this flag: ETCD_ + upper case, dashes to underscores.</summary>
    public string EnvironmentVariable { get; } = "ETCD_" + Name.ToUpperInvariant().Replace('-', '_');
}
