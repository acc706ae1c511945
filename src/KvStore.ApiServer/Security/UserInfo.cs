namespace KvStore.ApiServer.Security;

/// <summary>Who a request comes from (kube's user.Info): the name, uid and groups an authenticator found.</summary>
public sealed record UserInfo(string Name, string Uid, IReadOnlyList<string> Groups)
{
    public const string AllAuthenticated = "system:authenticated";
    public const string AllUnauthenticated = "system:unauthenticated";

    /// <summary>kube's anonymous user (anonymous.NewAuthenticator).</summary>
    public static readonly UserInfo Anonymous = new("system:anonymous", "", [AllUnauthenticated]);

    public bool IsAnonymous => ReferenceEquals(this, Anonymous);

    /// <summary>The user with system:authenticated added to its groups, as kube's AuthenticatedGroupAdder does for every
    /// authenticated user (once; a user already in it keeps its groups).</summary>
    public UserInfo WithAuthenticatedGroup() =>
        Groups.Contains(AllAuthenticated) ? this : this with { Groups = [.. Groups, AllAuthenticated] };
}
