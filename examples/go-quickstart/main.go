// The quickstart as a Go program: a bot, its command, a JS chat app and an IFRAME chat app, a getBot lookup,
// and a second bot on an explicit provider (another portal), through the bitrix24 provider plugin.
package main

import (
	"github.com/pulumi-bitrix24/pulumi-bitrix24/sdk/go/bitrix24"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		handlerURL := cfg.Get("handlerUrl")
		if handlerURL == "" {
			handlerURL = "https://example.com/bitrix24/events"
		}
		frameURL := cfg.Get("frameUrl")
		if frameURL == "" {
			frameURL = "https://example.com/bitrix24/frame"
		}

		helper, err := bitrix24.NewBot(ctx, "helperBot", &bitrix24.BotArgs{
			Code:         pulumi.String("go_helper"),
			EventHandler: pulumi.String(handlerURL),
			Properties: bitrix24.BotPropertiesArgs{
				Name:         pulumi.String("Helper"),
				Color:        bitrix24.BotPropertiesColorAQUA,
				WorkPosition: pulumi.String("Answers /help"),
			},
		})
		if err != nil {
			return err
		}
		help, err := bitrix24.NewBotCommand(ctx, "helpCommand", &bitrix24.BotCommandArgs{
			BotId:           helper.BotId,
			Command:         pulumi.String("help"),
			EventCommandAdd: pulumi.String(handlerURL),
			Translations: bitrix24.CommandTranslationArray{
				bitrix24.CommandTranslationArgs{
					LanguageId: pulumi.String("en"), Title: pulumi.String("Show help"), Params: pulumi.String("topic"),
				},
				bitrix24.CommandTranslationArgs{
					LanguageId: pulumi.String("de"), Title: pulumi.String("Hilfe anzeigen"), Params: pulumi.String("Thema"),
				},
			},
		})
		if err != nil {
			return err
		}
		button, err := bitrix24.NewChatApp(ctx, "helpButton", &bitrix24.ChatAppArgs{
			BotId:    helper.BotId,
			Code:     pulumi.String("help_button"),
			JsMethod: bitrix24.ChatAppJsMethodSEND,
			JsParam:  pulumi.String("/help"),
			IconPath: pulumi.String("icon.png"),
			Translations: bitrix24.TranslationArray{
				bitrix24.TranslationArgs{
					LanguageId: pulumi.String("en"), Title: pulumi.String("Help"), Description: pulumi.String("Ask the helper bot"),
				},
			},
		})
		if err != nil {
			return err
		}
		frame, err := bitrix24.NewChatApp(ctx, "helperFrame", &bitrix24.ChatAppArgs{
			BotId:        helper.BotId,
			Code:         pulumi.String("helper_frame"),
			Iframe:       pulumi.String(frameURL),
			IframeWidth:  pulumi.Int(350),
			IframeHeight: pulumi.Int(200),
			Hash:         cfg.RequireSecret("frameHash"), // stored as a secret
			Context:      bitrix24.ChatAppContextBOT,
			Translations: bitrix24.TranslationArray{
				bitrix24.TranslationArgs{
					LanguageId:  pulumi.String("en"),
					Title:       pulumi.String("Helper"),
					Description: pulumi.String("Open the helper"),
					Copyright:   pulumi.String("Example Ltd"),
				},
			},
		})
		if err != nil {
			return err
		}

		// Another portal: an explicit provider with its own credentials, chosen per resource.
		other, err := bitrix24.NewProvider(ctx, "otherPortal", &bitrix24.ProviderArgs{
			WebhookUrl: cfg.RequireSecret("otherWebhookUrl"),
			ClientId:   cfg.RequireSecret("otherClientId"),
		})
		if err != nil {
			return err
		}
		announcer, err := bitrix24.NewBot(ctx, "announcerBot", &bitrix24.BotArgs{
			Code:         pulumi.String("go_announcer"),
			EventHandler: pulumi.String(handlerURL),
			Properties:   bitrix24.BotPropertiesArgs{Name: pulumi.String("Announcer")},
		}, pulumi.Provider(other))
		if err != nil {
			return err
		}

		// The bot as the portal shows it (a lookup function; Code finds it too).
		onPortal := bitrix24.LookupBotOutput(ctx, bitrix24.LookupBotOutputArgs{BotId: helper.BotId})

		ctx.Export("botId", helper.BotId)
		ctx.Export("helperName", onPortal.Properties().Name())
		ctx.Export("helpCommandId", help.CommandId)
		ctx.Export("helpButtonAppId", button.AppId)
		ctx.Export("helperFrameAppId", frame.AppId)
		ctx.Export("announcerBotId", announcer.BotId)
		return nil
	})
}
