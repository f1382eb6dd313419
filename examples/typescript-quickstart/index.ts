// The quickstart as a TypeScript program: a bot, its command, a JS chat app and an IFRAME chat app, a getBot
// lookup, a second bot on an explicit provider (another portal), and a messenger widget through an OAuth app
// (widgets need one), through the bitrix24 provider plugin.
import * as pulumi from "@pulumi/pulumi";
import * as bitrix24 from "@pulumi/bitrix24";

const config = new pulumi.Config();
const handlerUrl = config.get("handlerUrl") ?? "https://example.com/bitrix24/events";
const frameUrl = config.get("frameUrl") ?? "https://example.com/bitrix24/frame";

const helperBot = new bitrix24.Bot("helperBot", {
    code: "ts_helper",
    eventHandler: handlerUrl,
    properties: { name: "Helper", color: bitrix24.BotPropertiesColor.AQUA, workPosition: "Answers /help" },
});

const helpCommand = new bitrix24.BotCommand("helpCommand", {
    botId: helperBot.botId,
    command: "help",
    eventCommandAdd: handlerUrl,
    translations: [
        { languageId: "en", title: "Show help", params: "topic" },
        { languageId: "de", title: "Hilfe anzeigen", params: "Thema" },
    ],
});

const helpButton = new bitrix24.ChatApp("helpButton", {
    botId: helperBot.botId,
    code: "help_button",
    jsMethod: "SEND",
    jsParam: "/help",
    iconPath: "icon.png",
    translations: [{ languageId: "en", title: "Help", description: "Ask the helper bot" }],
});

const helperFrame = new bitrix24.ChatApp("helperFrame", {
    botId: helperBot.botId,
    code: "helper_frame",
    iframe: frameUrl,
    iframeWidth: 350,
    iframeHeight: 200,
    hash: config.requireSecret("frameHash"), // stored as a secret
    context: bitrix24.ChatAppContext.BOT,
    translations: [{ languageId: "en", title: "Helper", description: "Open the helper", copyright: "Example Ltd" }],
});

// Another portal: an explicit provider with its own credentials, chosen per resource.
const otherPortal = new bitrix24.Provider("otherPortal", {
    webhookUrl: config.requireSecret("otherWebhookUrl"),
    clientId: config.requireSecret("otherClientId"),
});
const announcerBot = new bitrix24.Bot(
    "announcerBot",
    { code: "ts_announcer", eventHandler: handlerUrl, properties: { name: "Announcer" } },
    { provider: otherPortal },
);

// Widgets are bound by an OAuth application, never a webhook: an explicit provider with the app's tokens.
const widgetApp = new bitrix24.Provider("widgetApp", {
    portalUrl: config.require("widgetPortalUrl"),
    accessToken: config.requireSecret("widgetAccessToken"),
});
const helpWidget = new bitrix24.Widget(
    "helpWidget",
    {
        placement: bitrix24.WidgetPlacement.IM_TEXTAREA,
        handler: "https://widgets.example.com/help",
        title: "Help",
        iconName: "fa-question",
    },
    { provider: widgetApp },
);

// The bot as the portal shows it (a lookup function; `code` finds it too).
const helperOnPortal = bitrix24.getBotOutput({ botId: helperBot.botId });

export const botId = helperBot.botId;
export const helperName = helperOnPortal.properties.name;
export const helpCommandId = helpCommand.commandId;
export const helpButtonAppId = helpButton.appId;
export const helperFrameAppId = helperFrame.appId;
export const announcerBotId = announcerBot.botId;
export const helpWidgetId = helpWidget.id;
