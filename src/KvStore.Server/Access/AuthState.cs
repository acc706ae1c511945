using Authpb;
using KvStore.Mvcc.Auth;

namespace KvStore.Server.Access;

/// <summary>
/// One version of the auth store's data: the enabled flag, the auth revision, users and roles by name, and their
/// <see cref="RangePermCache"/>. The auth store changes a copy (<see cref="Clone"/>) in a command and publishes it whole;
/// a published version is never changed again, so readers need no lock. User and Role messages are replaced, never edited.
/// </summary>
internal sealed class AuthState
{
    public const string RootUser = "root";
    public const string RootRole = "root";

    private readonly SortedDictionary<string, User> _users;
    private readonly SortedDictionary<string, Role> _roles;

    private AuthState(bool enabled, ulong revision, SortedDictionary<string, User> users, SortedDictionary<string, Role> roles,
        RangePermCache? perms = null)
    {
        Enabled = enabled;
        Revision = revision;
        _users = users;
        _roles = roles;
        Perms = perms ?? new RangePermCache(_users.Values, GetRole);
    }

    public bool Enabled { get; set; }

    /// <summary>etcd's auth revision: 1 for a new store, +1 for every change but AuthEnable.</summary>
    public ulong Revision { get; set; }

    /// <summary>The permissions as of the last <see cref="RefreshPermCache"/>.</summary>
    public RangePermCache Perms { get; private set; }

    public IEnumerable<User> Users => _users.Values;

    public IEnumerable<Role> Roles => _roles.Values;

    public static AuthState From(AuthRecord record) => new(record.Enabled, record.Revision,
        new SortedDictionary<string, User>(record.Users.ToDictionary(u => u.Name.ToStringUtf8()), StringComparer.Ordinal),
        new SortedDictionary<string, Role>(record.Roles.ToDictionary(r => r.Name.ToStringUtf8()), StringComparer.Ordinal));

    public AuthRecord ToRecord() => new(Enabled, Revision, [.. _users.Values], [.. _roles.Values]);

    /// <summary>A copy to change (the messages are shared: a change replaces them).</summary>
    public AuthState Clone() => new(Enabled, Revision, new SortedDictionary<string, User>(_users, StringComparer.Ordinal),
        new SortedDictionary<string, Role>(_roles, StringComparer.Ordinal), Perms);

    public User? GetUser(string name) => _users.GetValueOrDefault(name);

    public Role? GetRole(string name) => _roles.GetValueOrDefault(name);

    public void PutUser(User user) => _users[user.Name.ToStringUtf8()] = user;

    public void DeleteUser(string name) => _users.Remove(name);

    public void PutRole(Role role) => _roles[role.Name.ToStringUtf8()] = role;

    public void DeleteRole(string name) => _roles.Remove(name);

    public static bool HasRootRole(User user) => user.Roles.Contains(RootRole);

    /// <summary>etcd's refreshRangePermCache, before the version is published.</summary>
    public void RefreshPermCache() => Perms = new RangePermCache(_users.Values, GetRole);
}
