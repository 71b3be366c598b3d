using Newtonsoft.Json;
using Realtime.Relay.Inbox;

namespace Realtime.Relay.Tests.Inbox;

/// <summary>
/// A payload said to be canonical is copied into poll answers as it came; the wire format stays what Newtonsoft
/// writes after parsing it. So "canonical" must never be said of a payload Newtonsoft would write differently, and
/// should be said of the payloads games usually send (else the copy is never used).
/// </summary>
public sealed class CanonicalJsonTests
{
    public static TheoryData<string> Usual =>
    [
        "{\"id\":7,\"name\":\"Ava\"}",
        "{\"lesson\":\"volcanoes\",\"step\":3,\"done\":false,\"score\":2.5,\"tags\":[\"a\",\"b\"],\"meta\":null,\"o\":{}}",
        "{\"text\":\"line\\nbreak \\\"quoted\\\" back\\\\slash é 😀\",\"t\":\"\\t\\r\\b\\f\"}",
        "[1,-2,3.25,-0.5,1E-07,1.0,\"x\",[],[[]]]",
        "\"a JSON string\"",
        "42",
        "-9223372036854775",
        "true",
        "null",
    ];

    public static TheoryData<string> Rewritten =>
    [
        "", // an empty payload stays a string
        "plain text",
        "{ \"id\": 7 }", // whitespace
        "{\"id\":7}\n",
        "{\"a\":1,\"a\":2}", // Newtonsoft keeps one member
        "{\"a\":{\"b\":1,\"c\":{\"b\":2}},\"b\":3,\"c\":1,\"a\":0}",
        "{\"x\":\"\\u00e9\"}", // escapes Newtonsoft writes as the character
        "{\"x\":\"\\/\"}",
        "{\"x\":\"\u2028\"}", // a character Newtonsoft escapes
        "{\"x\":\"\u0085\"}",
        "1.50",
        "1e3",
        "1E+3",
        "01",
        "-0",
        "0.10",
        "123456789012345678901234567890",
        "NaN",
        "{'a':1}",
        "[1,]",
        "{\"a\":1,}",
        "[1 ,2]",
        "{\"a\" :1}",
        "truex",
        "[true,falsey]",
        "/*c*/1",
        "\"unterminated",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    ];

    [Theory]
    [MemberData(nameof(Usual))]
    public void Usual_payloads_are_canonical_and_newtonsoft_writes_them_back_unchanged(string payload)
    {
        Assert.True(CanonicalJson.IsCanonical(payload));
        Assert.Equal(payload, NewtonsoftWrites(payload));
    }

    [Theory]
    [MemberData(nameof(Rewritten))]
    public void Payloads_newtonsoft_would_write_differently_or_as_a_string_are_not_canonical(string payload)
    {
        Assert.False(CanonicalJson.IsCanonical(payload));
    }

    [Fact]
    public void Nothing_said_canonical_is_written_differently_by_newtonsoft()
    {
        // Every prefix and every one-character change of a varied payload: whatever the check accepts, Newtonsoft
        // must write back byte for byte.
        const string seed = "{\"a\":[1,2.5,-3,true,null,\"s\\\"\\\\\\n\"],\"b\":{\"c\":\"d\"},\"e\":1E-07}";
        var alphabet = "{}[]\":,.-+0123456789eEtruefalsn \\/u\u2028\u00e9";
        var accepted = 0;
        for (var cut = 1; cut <= seed.Length; cut++)
            accepted += Check(seed[..cut]);
        for (var i = 0; i < seed.Length; i++)
            foreach (var c in alphabet)
                accepted += Check(string.Concat(seed.AsSpan(0, i), c.ToString(), seed.AsSpan(i + 1)));
        Assert.True(accepted > 10, $"only {accepted} variants were canonical: the check proves little");

        static int Check(string payload)
        {
            if (!CanonicalJson.IsCanonical(payload)) return 0;
            Assert.Equal(payload, NewtonsoftWrites(payload));
            return 1;
        }
    }

    /// <summary>What a poll's answer says for the payload through the parse-and-serialize path.</summary>
    private static string NewtonsoftWrites(string payload) =>
        JsonConvert.SerializeObject(InboxEnvelope.ParseData(payload), Formatting.None, InboxEnvelope.Json);
}
