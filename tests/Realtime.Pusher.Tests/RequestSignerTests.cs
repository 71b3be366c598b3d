using Realtime.Pusher.Rest;

namespace Realtime.Pusher.Tests;

public class RequestSignerTests
{
    private readonly RequestSigner _signer = new("key", "secret");

    [Fact]
    public void Query_keys_are_lowercased_and_sorted_ordinally_with_values_unencoded()
    {
        var signed = _signer.Sign("get", "/apps/1/channels",
            [new("Info", "user_count,subscription_count"), new("filter_by_prefix", "presence-a=b@c;d"), new("_x", "1"), new("Zed", "z")],
            (string?)null, timestamp: 42);

        Assert.Equal(
            "GET\n/apps/1/channels\n_x=1&auth_key=key&auth_timestamp=42&auth_version=1.0&filter_by_prefix=presence-a=b@c;d&info=user_count,subscription_count&zed=z",
            signed.StringToSign);
        Assert.Equal("auth_signature", signed.Parameters[^1].Key);
        Assert.Contains("filter_by_prefix=presence-a%3Db%40c%3Bd", signed.EncodedQueryString);
        Assert.Contains("info=user_count%2Csubscription_count", signed.EncodedQueryString);
    }

    [Fact]
    public void Body_md5_is_present_only_when_there_is_a_body()
    {
        Assert.DoesNotContain(_signer.Sign("GET", "/p", null, (string?)null, 1).Parameters, p => p.Key == "body_md5");
        Assert.DoesNotContain(_signer.Sign("POST", "/p", null, "", 1).Parameters, p => p.Key == "body_md5");
        Assert.Contains(_signer.Sign("POST", "/p", null, "{}", 1).Parameters,
            p => p.Key == "body_md5" && p.Value == "99914b932bd37a50b983c5e7c90ae93b");
    }

    [Theory]
    [InlineData("auth_key")]
    [InlineData("AUTH_SIGNATURE")]
    [InlineData("body_md5")]
    public void Reserved_parameters_cannot_be_overridden(string key)
    {
        Assert.Throws<ArgumentException>(() => _signer.Sign("GET", "/p", [new(key, "x")], (string?)null, 1));
    }

    [Fact]
    public void Timestamp_defaults_to_the_clock()
    {
        var signer = new RequestSigner("key", "secret", Support.FixedTimeProvider.AtUnixSeconds(1700000000));
        Assert.Contains(signer.Sign("GET", "/p").Parameters, p => p.Key == "auth_timestamp" && p.Value == "1700000000");
    }
}
