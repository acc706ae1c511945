using KvStore.ApiServer.Security;

namespace KvStore.ApiServer.Tests.Security;

/// <summary>kube's RequestInfo reading of a URL and the Forbidden message it words (authorization's forbiddenMessage).</summary>
public sealed class RequestAttributesTests
{
    [Theory]
    [InlineData("GET", "/api/v1/namespaces/default/pods", false,
        "pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"")]
    [InlineData("GET", "/api/v1/namespaces/default/pods", true,
        "pods is forbidden: User \"system:anonymous\" cannot watch resource \"pods\" in API group \"\" in the namespace \"default\"")]
    [InlineData("GET", "/api/v1/watch/namespaces/default/pods", false,
        "pods is forbidden: User \"system:anonymous\" cannot watch resource \"pods\" in API group \"\" in the namespace \"default\"")]
    [InlineData("GET", "/api/v1/namespaces/default/pods/web-1/log", false,
        "pods \"web-1\" is forbidden: User \"system:anonymous\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"default\"")]
    [InlineData("POST", "/apis/apps/v1/namespaces/shop/deployments", false,
        "deployments.apps is forbidden: User \"system:anonymous\" cannot create resource \"deployments\" in API group \"apps\" in the namespace \"shop\"")]
    [InlineData("DELETE", "/api/v1/namespaces/shop/configmaps", false,
        "configmaps is forbidden: User \"system:anonymous\" cannot deletecollection resource \"configmaps\" in API group \"\" in the namespace \"shop\"")]
    [InlineData("GET", "/api/v1/namespaces/kube-system", false,
        "namespaces \"kube-system\" is forbidden: User \"system:anonymous\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"kube-system\"")]
    [InlineData("PUT", "/api/v1/namespaces/shop/finalize", false,
        "namespaces \"shop\" is forbidden: User \"system:anonymous\" cannot update resource \"namespaces/finalize\" in API group \"\" in the namespace \"shop\"")]
    [InlineData("PATCH", "/api/v1/nodes/n1", false,
        "nodes \"n1\" is forbidden: User \"system:anonymous\" cannot patch resource \"nodes\" in API group \"\" at the cluster scope")]
    [InlineData("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", false,
        "selfsubjectreviews.authentication.k8s.io is forbidden: User \"system:anonymous\" cannot create resource \"selfsubjectreviews\" in API group \"authentication.k8s.io\" at the cluster scope")]
    [InlineData("GET", "/api", false, "forbidden: User \"system:anonymous\" cannot get path \"/api\"")]
    [InlineData("GET", "/apis/apps/v1", false, "forbidden: User \"system:anonymous\" cannot get path \"/apis/apps/v1\"")]
    [InlineData("HEAD", "/healthz", false, "forbidden: User \"system:anonymous\" cannot head path \"/healthz\"")]
    public void ForbiddenMessages(string method, string path, bool watch, string message) =>
        Assert.Equal(message, RequestAttributes.Of(method, path, watch).ForbiddenMessage("system:anonymous"));
}
