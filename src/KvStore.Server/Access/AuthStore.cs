using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Mvcc.Auth;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Access;

/// <summary>
/// etcd's auth store (auth/store.go), the one owner of the auth data: the enabled flag, users, roles, the auth revision
/// and the permission cache, with the member's token provider. Commands change a copy of the data in the command's
/// write transaction (<see cref="TxnWrite"/>: its record is persisted with the consistent index), then publish it; the
/// permission checks of every request read the published version without a lock. The engine keeps the record
/// (<see cref="AuthRecord"/>) and carries it through snapshots; <see cref="Recover"/> reads it back. Tested by AuthTests,
/// the auth tests of KvStore.Grpc.Tests, KvStore.Etcdctl.Tests (against etcd 3.4) and KvStore.Tls.Tests.
/// </summary>
internal sealed partial class AuthStore
{
    private readonly MvccStore _store;
    private readonly bool _clientCertAuth;
    private readonly int _bcryptCost;
    /// <summary>Writers one at a time, taken inside a command's write transaction; readers take <see cref="_state"/> as it is.</summary>
    private readonly Lock _writeLock = new();
    /// <summary>The published data: never changed once published (a command publishes a new one).</summary>
    private volatile AuthState _state = AuthState.From(AuthRecord.Empty);
    /// <summary>The engine's record of <see cref="_state"/> (a command that leaves it as it was writes nothing).</summary>
    private byte[] _record = AuthRecord.Empty.Encode();
    private string? _rootToken;

    public AuthStore(MvccStore store, ServerConfig config, ILogger logger)
        : this(store, TokenProviders.Create(config.AuthToken, TimeSpan.FromSeconds(config.AuthTokenTtlSeconds), out var unknown),
            config.ClientCertAuth, config.BcryptCost)
    {
        if (unknown.Count > 0) Log.UnknownJwtOptions(logger, string.Join(' ', unknown));
        if (Tokens is SimpleTokens) Log.SimpleTokenNotSigned(logger);
    }

    /// <summary>The auth store of <paramref name="store"/>'s record, with <paramref name="tokens"/> (etcd's NewAuthStore).</summary>
    public AuthStore(MvccStore store, ITokenProvider tokens, bool clientCertAuth = false, int bcryptCost = 10)
    {
        _store = store;
        Tokens = tokens;
        _clientCertAuth = clientCertAuth;
        _bcryptCost = bcryptCost;
        Recover();
    }

    /// <summary>The member's token provider (--auth-token): simple, jwt or nop.</summary>
    public ITokenProvider Tokens { get; }

    /// <summary>True once AuthEnable was applied (and no AuthDisable after it).</summary>
    public bool Enabled => _state.Enabled;

    /// <summary>etcd's auth revision (1 for a new store; every auth change but AuthEnable adds one).</summary>
    public ulong Revision => _state.Revision;

    /// <summary>
    /// etcd's authStore.Recover: the data as the engine's record has it, after the store opens and after a snapshot
    /// restore replaced the record. Tested by AuthTests.AuthStore_FollowsReopenAndRestore and
    /// SnapshotTests.AMemberBehindTheCompactedLogCatchesUpThroughASnapshot.
    /// </summary>
    public void Recover()
    {
        // Read before the lock: a command takes the engine's lock, then this one (never the other way round).
        // Recover runs on the apply path (open, snapshot restore), so no command changes the record in between.
        AuthState state = AuthState.From(AuthRecord.Decode(_store.ReadRecord(AuthRecord.Key)));
        lock (_writeLock)
        {
            _record = state.ToRecord().Encode();
            _state = state;
        }
    }

    /// <summary>
    /// An auth command at <paramref name="index"/>: <paramref name="apply"/> changes a copy of the data; a change is
    /// persisted in the command's write transaction, which moves the consistent index even for a refused command.
    /// A command at or below the consistent index changes nothing 
    /// (AuthTests.ReplayedCommand_ChangesNothing_AndARefusedOneOnlyMovesTheIndex).
    /// </summary>
    private MvccResult<T> Write<T>(long index, Func<AuthState, ResponseHeader, MvccResult<T>> apply) where T : class
    {
        using TxnWrite tx = _store.BeginWrite(index);
        if (tx.AlreadyApplied) return MvccError.AlreadyApplied; // nothing written: the lock is all Dispose releases
        lock (_writeLock)
        {
            AuthState next = _state.Clone();
            MvccResult<T> result = apply(next, new ResponseHeader { Revision = tx.BeginRev });
            byte[] record = next.ToRecord().Encode();
            if (!record.AsSpan().SequenceEqual(_record))
            {
                tx.PutRecord(AuthRecord.Key, record);
                next.RefreshPermCache();
                _record = record;
                _state = next;
            }
            tx.End();
            return result;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "unknown JWT options: [{Options}]")]
        public static partial void UnknownJwtOptions(ILogger logger, string options);

        [LoggerMessage(Level = LogLevel.Warning, Message = "simple token is not cryptographically signed")]
        public static partial void SimpleTokenNotSigned(ILogger logger);
    }
}
