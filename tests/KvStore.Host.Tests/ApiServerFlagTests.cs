using System.Collections;
using KvStore.Host.Flags;

namespace KvStore.Host.Tests;

/// <summary>The in-member facade's TLS and authentication flags (kube-apiserver's names), parsed in process.</summary>
public sealed class ApiServerFlagTests
{
    private static StartupCommand Parse(params string[] args) => StartupArguments.Parse(args, new Hashtable());

    [Fact]
    public void HttpsFacadeKeepsItsSelfSignedPairBesideEtcdsFixtures()
    {
        var run = Assert.IsType<StartupCommand.Run>(Parse("--data-dir", "/srv/m1", "--apiserver-listen-url", "https://127.0.0.1:6443"));
        var facade = run.Settings.ApiServer!;
        Assert.Equal(new Uri("https://127.0.0.1:6443"), facade.ListenUrl);
        Assert.Equal(Path.Combine("/srv/m1", "fixtures", "apiserver"), facade.Security.CertDir);
        Assert.True(facade.Security.AnonymousAuth);
        Assert.False(facade.Security.AuthenticatesClients);
    }

    [Fact]
    public void KubeApiserverFlagsReachTheFacade()
    {
        var run = Assert.IsType<StartupCommand.Run>(Parse("--apiserver-listen-url", "https://127.0.0.1:6443",
            "--tls-cert-file", "/pki/apiserver.crt", "--tls-private-key-file", "/pki/apiserver.key", "--client-ca-file", "/pki/ca.crt",
            "--token-auth-file", "/pki/tokens.csv", "--anonymous-auth=false", "--cert-dir", "/var/lib/certs"));
        var security = run.Settings.ApiServer!.Security;
        Assert.Equal(("/pki/apiserver.crt", "/pki/apiserver.key", "/pki/ca.crt", "/pki/tokens.csv", "/var/lib/certs", false),
            (security.TlsCertFile, security.TlsPrivateKeyFile, security.ClientCaFile, security.TokenAuthFile, security.CertDir, security.AnonymousAuth));
    }

    [Fact]
    public void ServiceRangesReachTheFacade()
    {
        var run = Assert.IsType<StartupCommand.Run>(Parse("--apiserver-listen-url", "http://127.0.0.1:8080", "--service-node-port-range", "30100-30199"));
        Assert.Equal(("30100-30199", "10.96.0.0/12"), (run.Settings.ApiServer!.ServiceNodePortRange, run.Settings.ApiServer.ServiceClusterIpRange));
        Assert.Equal("30000-32767", Assert.IsType<StartupCommand.Run>(Parse("--apiserver-listen-url", "http://127.0.0.1:8080")).Settings.ApiServer!.ServiceNodePortRange);
    }

    [Theory]
    [InlineData("kvstore: error verifying flags, invalid argument \"70000\" for \"--service-node-port-range\" flag: the port range cannot be greater than 65535: 70000. See 'kvstore --help'.\n",
        "--apiserver-listen-url", "http://127.0.0.1:8080", "--service-node-port-range", "70000")]
    [InlineData("kvstore: error verifying flags, --token-auth-file is a flag of the apiserver facade, which only --apiserver-listen-url starts. See 'kvstore --help'.\n",
        "--token-auth-file", "/pki/tokens.csv")]
    [InlineData("kvstore: error verifying flags, --client-ca-file needs an https --apiserver-listen-url (given http://127.0.0.1:8080). See 'kvstore --help'.\n",
        "--apiserver-listen-url", "http://127.0.0.1:8080", "--client-ca-file", "/pki/ca.crt")]
    [InlineData("kvstore: error verifying flags, --apiserver-listen-url unix:///tmp/s: an http or https URL with an IP to bind is required. See 'kvstore --help'.\n",
        "--apiserver-listen-url", "unix:///tmp/s")]
    public void MisplacedFlagsAreRefused(string error, params string[] args)
    {
        var exit = Assert.IsType<StartupCommand.Exit>(Parse(args));
        Assert.Equal(1, exit.Code);
        Assert.Equal(error, exit.Error);
    }
}
