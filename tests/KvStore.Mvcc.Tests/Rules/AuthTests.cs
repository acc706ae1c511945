using Authpb;
using Etcdserverpb;
using KvStore.Mvcc.Auth;
using KvStore.Server.Access;
using KvStore.Server.Apply;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// Auth store rules (etcd's auth/store.go): commands applied at an index like every other, state kept with the
/// consistent index across a reopen, carried by Export/Import, and left out of HashKV (etcd hashes the key bucket only).
/// </summary>
public sealed class AuthTests : IDisposable
{
    private readonly RuleStore _s = new();
    private readonly TempDir _dir = new();
    private long _index = 100;

    public void Dispose()
    {
        _s.Dispose();
        _dir.Dispose();
    }

    private ApplyResult Apply(InternalRaftRequest r) => _s.Store.Apply(++_index, r);

    private void Ok(InternalRaftRequest r)
    {
        ApplyResult result = Apply(r);
        Assert.True(result.Error == MvccError.None, result.Error.ToString());
    }

    private void Setup()
    {
        Ok(new() { AuthUserAdd = new AuthUserAddRequest { Name = "root", HashedPassword = "$2a$04$hash-of-root" } });
        Ok(new() { AuthUserGrantRole = new AuthUserGrantRoleRequest { User = "root", Role = "root" } });
        Ok(new() { AuthRoleAdd = new AuthRoleAddRequest { Name = "r" } });
        Ok(new() { AuthRoleGrantPermission = new AuthRoleGrantPermissionRequest
        {
            Name = "r", Perm = new Permission { PermType = Permission.Types.Type.Readwrite, Key = B("/p/"), RangeEnd = B("/p0") },
        } });
        Ok(new() { AuthRoleGrantPermission = new AuthRoleGrantPermissionRequest
        {
            Name = "r", Perm = new Permission { PermType = Permission.Types.Type.Read, Key = B("/zz"), RangeEnd = B("\0") },
        } });
        Ok(new() { AuthUserAdd = new AuthUserAddRequest { Name = "u", HashedPassword = "$2a$04$hash-of-u" } });
        Ok(new() { AuthUserGrantRole = new AuthUserGrantRoleRequest { User = "u", Role = "r" } });
        Ok(new() { AuthEnable = new AuthEnableRequest() });
    }

    private static string State(MvccStore store)
    {
        AuthStore s = store.Auth();
        var u = new AuthInfo("u", s.Revision);
        return string.Join("|",
            s.Enabled, s.Revision, s.PasswordOf("u").Error, System.Text.Encoding.UTF8.GetString(s.PasswordOf("u").Hash ?? []),
            s.IsAdminPermitted("root"), s.IsAdminPermitted("u"), s.HasRole("u", "r"),
            s.IsOpPermitted(u, "/p/x"u8, default, write: true), s.IsOpPermitted(u, "/p/"u8, "/p0"u8, write: false),
            s.IsOpPermitted(u, "/p/"u8, "/p1"u8, write: false), s.IsOpPermitted(u, "/q"u8, default, write: false),
            s.IsOpPermitted(u, "/zzz"u8, "\0"u8, write: false), s.IsOpPermitted(u, "/zzz"u8, default, write: true));
    }

    [Fact]
    public void Permissions_FollowEtcdRangeRules()
    {
        Setup();
        Assert.Equal("True|8|None|$2a$04$hash-of-u|None|AuthPermissionDenied|True|None|None|AuthPermissionDenied|AuthPermissionDenied|None|AuthPermissionDenied",
            State(_s.Store));
        // A token minted before the last change carries an older auth revision (etcd's ErrAuthOldRevision).
        Assert.Equal(MvccError.AuthOldRevision, _s.Store.Auth().IsOpPermitted(new AuthInfo("u", 1), "/p/x"u8, default, write: false));
        Assert.Equal(MvccError.AuthUserEmpty, _s.Store.Auth().IsOpPermitted(default, "/p/x"u8, default, write: false));
        // Adjacent permissions cover a range together.
        Ok(new() { AuthRoleGrantPermission = new AuthRoleGrantPermissionRequest
        {
            Name = "r", Perm = new Permission { PermType = Permission.Types.Type.Read, Key = B("/p0"), RangeEnd = B("/p2") },
        } });
        Assert.Equal(MvccError.None, _s.Store.Auth().IsOpPermitted(new AuthInfo("u", _s.Store.Auth().Revision), "/p/"u8, "/p1"u8, write: false));
    }

    [Fact]
    public void AuthState_SurvivesReopen_AndTravelsInExportImport_WithoutChangingHashKV()
    {
        _s.Put("k", "v");
        uint hashBefore = _s.Store.HashKV(0).Value.Hash;
        Setup();
        string state = State(_s.Store);
        Assert.Equal(hashBefore, _s.Store.HashKV(0).Value.Hash);

        _s.Reopen();
        Assert.Equal(state, State(_s.Store));
        Assert.Equal(_index, _s.Store.ConsistentIndex);
        Assert.Equal(MvccError.AlreadyApplied, _s.Store.Apply(_index, new InternalRaftRequest { AuthDisable = new AuthDisableRequest() }).Error);

        using var ms = new MemoryStream();
        _s.Store.Export(ms);
        using MvccStore copy = MvccStore.Import(new MemoryStream(ms.ToArray()), OptionsFor(Path.Combine(_dir.Path, "copy")));
        Assert.Equal(state, State(copy));
        Assert.Equal(hashBefore, copy.HashKV(0).Value.Hash);

        // Disabling bumps the auth revision; the next Export carries that too.
        Ok(new() { AuthDisable = new AuthDisableRequest() });
        Assert.False(_s.Store.Auth().Enabled);
        Assert.Equal(9UL, _s.Store.Auth().Revision);
    }

    [Fact]
    public void RoleDelete_RemovesTheRoleFromUsers_AndRootIsGuardedWhileEnabled()
    {
        Setup();
        Assert.Equal(MvccError.AuthInvalidMgmt, Apply(new() { AuthRoleDelete = new AuthRoleDeleteRequest { Role = "root" } }).Error);
        Assert.Equal(MvccError.AuthInvalidMgmt, Apply(new() { AuthUserDelete = new AuthUserDeleteRequest { Name = "root" } }).Error);
        Ok(new() { AuthRoleDelete = new AuthRoleDeleteRequest { Role = "r" } });
        Assert.False(_s.Store.Auth().HasRole("u", "r"));
        Assert.Equal(MvccError.AuthPermissionDenied, _s.Store.Auth().IsOpPermitted(new AuthInfo("u", _s.Store.Auth().Revision), "/p/x"u8, default, write: false));
        Assert.Equal(MvccError.AuthUserNotFound, _s.Store.Auth().IsAdminPermitted("ghost"));
    }

    [Fact]
    public void ReplayedCommand_ChangesNothing_AndARefusedOneOnlyMovesTheIndex()
    {
        Setup();
        string state = State(_s.Store);
        byte[] record = _s.Store.ReadRecord(AuthRecord.Key)!;

        // At or below the consistent index (a replay after a crash): no change, no token, no record written.
        Assert.Equal(MvccError.AlreadyApplied, _s.Store.Apply(_index, new InternalRaftRequest
        {
            AuthUserAdd = new AuthUserAddRequest { Name = "late", HashedPassword = "$2a$04$late" },
        }).Error);
        Assert.Equal(MvccError.AuthUserNotFound, _s.Store.Auth().IsAdminPermitted("late"));
        Assert.Equal(state, State(_s.Store));
        Assert.Equal(record, _s.Store.ReadRecord(AuthRecord.Key));

        // Refused by etcd's rules: the consistent index moves, the auth revision and the record do not.
        Assert.Equal(MvccError.AuthRoleAlreadyExist, Apply(new() { AuthRoleAdd = new AuthRoleAddRequest { Name = "r" } }).Error);
        Assert.Equal(_index, _s.Store.ConsistentIndex);
        Assert.Equal(state, State(_s.Store));
        Assert.Equal(record, _s.Store.ReadRecord(AuthRecord.Key));
    }

    [Fact]
    public async Task AuthStore_FollowsReopenAndRestore()
    {
        Setup();
        string state = State(_s.Store);
        _s.Reopen(); // a new auth store, recovered from the engine's record
        Assert.Equal(state, State(_s.Store));

        // A member with an auth store of its own has the snapshot's auth data once it recovers after the restore.
        using var member = new RuleStore();
        Assert.Equal(MvccError.None, member.Store.Apply(1, new InternalRaftRequest
        {
            AuthUserAdd = new AuthUserAddRequest { Name = "mine", HashedPassword = "$2a$04$mine" },
        }).Error);
        using var ms = new MemoryStream();
        _s.Store.Export(ms);
        await member.Store.RestoreAsync(new MemoryStream(ms.ToArray()));
        member.Store.Auth().Recover();
        Assert.Equal(state, State(member.Store));
        Assert.Equal(MvccError.AuthUserNotFound, member.Store.Auth().IsAdminPermitted("mine"));
    }
}
