using Microsoft.AspNetCore.Mvc.Filters;
using Realtime.Relay.Configuration;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// The route needs Pusher: with <c>PUSHER_ENABLED=false</c> it answers 503 <c>pusher_disabled</c>
/// before reading the body.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class RequiresPusherAttribute : Attribute, IResourceFilter
{
    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        if (context.HttpContext.RequestServices.GetRequiredService<PusherSettings>().IsEnabled) return;
        context.Result = Problems.Result(context.HttpContext, StatusCodes.Status503ServiceUnavailable, ErrorCodes.PusherDisabled,
            "Pusher is disabled on this relay (PUSHER_ENABLED=false): this endpoint needs it.");
    }

    public void OnResourceExecuted(ResourceExecutedContext context) { }
}
