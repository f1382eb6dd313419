// Bitrix24 messenger objects (chat bots, their commands, chat apps, widgets) as resources.
package bitrix24
