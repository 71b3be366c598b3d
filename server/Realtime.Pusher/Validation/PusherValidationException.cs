namespace Realtime.Pusher.Validation;

/// <summary>
/// A request or authorization input breaks one of Pusher's documented limits. Thrown
/// before anything is sent; the message names the limit and the offending value's size.
/// </summary>
public sealed class PusherValidationException : ArgumentException
{
    public PusherValidationException(string limit, string message, string? paramName = null)
        : base(message, paramName)
    {
        Limit = limit;
    }

    /// <summary>Which limit was broken: one of the <see cref="PusherLimits"/> limit names, e.g. "batch_size".</summary>
    public string Limit { get; }
}
