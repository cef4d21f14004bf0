import smtplib
from email.message import EmailMessage


def send_email(host: str, sender: str, recipient: str, subject: str, body: str) -> None:
    """Send a plain-text email message through an SMTP server."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(host) as server:
        server.send_message(message)
