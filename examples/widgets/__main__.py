"""Messenger widgets: a button in the app panel above the message box and a block in the chat sidebar.

Widgets need an OAuth application, never a webhook: see the README, "Messenger widgets". The handlers are your
app's pages; the portal POSTs the chat's context to them when a user opens the widget.
"""

import pulumi

from pulumi_bitrix24 import Widget, WidgetArgs, WidgetTranslation

config = pulumi.Config()
pages = config.get("widgetPages") or "https://widgets.example.com"

textarea = Widget(
    "echo-textarea",
    WidgetArgs(
        placement="IM_TEXTAREA",
        handler=f"{pages}/textarea",
        title="Echo",
        icon_name="fa-paperclip",
        context=["USER", "CHAT"],  # one-to-one and group chats
        width=60,  # the frame's size, in percent of the chat window
        height=50,
    ),
)

sidebar = Widget(
    "echo-sidebar",
    WidgetArgs(
        placement="IM_SIDEBAR",
        handler=f"{pages}/sidebar",
        translations=[
            WidgetTranslation(language_id="en", title="Echo notes"),
            WidgetTranslation(language_id="de", title="Echo-Notizen"),
        ],
        icon_name="fa-sticky-note",
        color="AZURE",
        role="ADMIN",  # only portal administrators see it
    ),
)

pulumi.export("textarea_widget", textarea.id)
pulumi.export("sidebar_widget", sidebar.id)
