using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers.Kv;

/// <summary>
/// One key's state in the model: absent, or its value, create/mod revision, version and lease. A revision of
/// <see cref="Unknown"/> comes from a write whose revision was never observed and matches any number.
/// </summary>
internal readonly record struct KeyState(bool Exists, string? Value, long Create, long Mod, long Version, long Lease)
{
    public const long Unknown = -1;

    /// <summary>The value of a put nobody saw: no read can match it, and a value compare on it is undecided.</summary>
    public const string UnseenValue = "\0unseen";

    public static readonly KeyState Absent = default;

    /// <summary>etcd's put: the version counts puts since the key's creation, the create revision stays.</summary>
    public KeyState Put(string value, long lease, long revision) => Exists
        ? new(true, value, Create, revision, Version + 1, lease)
        : new(true, value, revision, revision, 1, lease);

    public bool Matches(KeyValue? kv) => kv is null
        ? !Exists
        : Exists && Value == kv.Value && Version == kv.Version && Lease == kv.Lease
          && (Mod == Unknown || Mod == kv.ModRevision) && (Create == Unknown || Create == kv.CreateRevision);

    public override string ToString() => Exists
        ? $"{Value} create {Show(Create)} mod {Show(Mod)} version {Version} lease {Lease}"
        : "(none)";

    private static string Show(long revision) => revision == Unknown ? "?" : revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
