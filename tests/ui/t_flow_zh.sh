#!/usr/bin/env bash
# The main flow of t_flow.sh once more, in Chinese (LANGUAGE=zh_CN): the
# same steps, every check on the Chinese text, no English left on a screen.
UI_LANG=zh_CN exec bash "$(dirname "$0")/t_flow.sh"
