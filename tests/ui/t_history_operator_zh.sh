#!/usr/bin/env bash
# t_history_operator.sh in Chinese (LANGUAGE=zh_CN): the column heading and
# the filter's messages as a Chinese desk reads them.
UI_LANG=zh_CN exec bash "$(dirname "$0")/t_history_operator.sh"
