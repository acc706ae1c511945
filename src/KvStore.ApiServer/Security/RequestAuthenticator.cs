using System.Security.Cryptography.X509Certificates;

namespace KvStore.ApiServer.Security;

/// <summary>
/// kube's authenticator chain: the client certificate first, then the bearer token; the first that authenticates
/// wins (system:authenticated added to its groups), a credential that fails is an error unless a later one
/// authenticates, and a request with no credential at all is system:anonymous when --anonymous-auth allows it.
/// A bad credential is never taken for anonymous (union.NewFailOnError).
/// Test: ApiServerSecurityTests.CredentialsAreTriedInKubesOrderAndABadOneIsNeverAnonymous.
/// </summary>
public sealed class RequestAuthenticator(ClientCertificateAuthenticator? certificates, TokenFileAuthenticator? tokens, bool anonymousAuth)
{
    /// <summary>No authenticator configured: every request is anonymous and served (the facade's plain default).</summary>
    public static readonly RequestAuthenticator None = new(null, null, anonymousAuth: true);

    /// <summary>Whether clients authenticate (a CA bundle or a token file is configured).</summary>
    public bool AuthenticatesClients => certificates is not null || tokens is not null;

    /// <summary>Whether the TLS handshake asks for a client certificate.</summary>
    public bool WantsClientCertificates => certificates is not null;

    /// <summary>The user, or the reason to answer 401 (empty when there simply was no credential).</summary>
    public (UserInfo? User, string? Failure) Authenticate(X509Certificate2? clientCertificate, string? authorization)
    {
        var errors = new List<string>();
        if (certificates is not null && clientCertificate is not null)
        {
            var outcome = certificates.Authenticate(clientCertificate);
            if (outcome.User is { } user) return (user.WithAuthenticatedGroup(), null);
            if (outcome.Error is { } error) errors.Add(error);
        }
        if (tokens is not null && BearerToken(authorization) is { } token)
        {
            if (tokens.Authenticate(token) is { } user) return (user.WithAuthenticatedGroup(), null);
            errors.Add("invalid bearer token");
        }
        if (errors.Count > 0) return (null, errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]");
        return anonymousAuth ? (UserInfo.Anonymous, null) : (null, "");
    }

    /// <summary>kube's bearertoken authenticator: "Authorization: Bearer TOKEN" (scheme in any case); else none.</summary>
    private static string? BearerToken(string? authorization)
    {
        var parts = (authorization ?? "").Trim().Split(' ', 3);
        return parts.Length >= 2 && parts[0].Equals("bearer", StringComparison.OrdinalIgnoreCase) && parts[1].Length > 0 ? parts[1] : null;
    }
}
