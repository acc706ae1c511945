namespace KvStore.ApiServer.Security;

/// <summary>The request feature carrying the user the authentication filter found (kube's request context user).</summary>
public interface IAuthenticatedUserFeature
{
    UserInfo User { get; }
}

internal sealed record AuthenticatedUserFeature(UserInfo User) : IAuthenticatedUserFeature;
