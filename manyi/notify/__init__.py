"""Notifications: messages to customers and staff over real channels (SMS over SMPP and CMPP, HTTP
SMS gateways, email, WeCom and DingTalk robots), sent from the outbox so nothing is lost."""
