using Etcdserverpb;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
    /// <inheritdoc/>
    public Caller AuthInfoFrom(string? token, string? commonName) => _auth.Resolve(token, commonName);

    /// <inheritdoc/>
    public async Task WaitForTokenAsync(string token, CancellationToken cancellationToken)
    {
        int dot = token.LastIndexOf('.');
        if (dot >= 0 && long.TryParse(token.AsSpan(dot + 1), out long index) && index > AppliedIndex)
        {
            // Applied once everything committed before this call is: the Authenticate entry was committed before the token was given out.
            await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task<AuthenticateResponse> AuthenticateAsync(AuthenticateRequest request, Caller caller, CancellationToken cancellationToken)
    {
        EtcdServerException.ThrowIf(await ReadIndexAsync(cancellationToken).ConfigureAwait(false));
        while (true)
        {
            (bool ok, ulong checkedRevision, Mvcc.MvccError error) = _auth.CheckPassword(request.Name, request.Password);
            EtcdServerException.ThrowIf(error);
            if (!ok) throw new EtcdServerException(Mvcc.MvccError.AuthFailed);
            // The password stays out of the log: the command carries the user and the token prefix only.
            var command = new InternalRaftRequest
            {
                Authenticate = new InternalAuthenticateRequest { Name = request.Name, SimpleToken = _auth.Tokens.NewPrefix() },
            };
            ProposeResult result = await ProposeAsync(command, caller, cancellationToken).ConfigureAwait(false);
            if (!result.Ok || checkedRevision == _auth.Revision) return EtcdServerException.Unwrap<AuthenticateResponse>(result);
            // etcd: the password was checked at an auth revision that is stale now; check again.
        }
    }
}
