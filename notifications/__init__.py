"""通知: in-app notifications, their email outbox and each user's delivery preferences."""
