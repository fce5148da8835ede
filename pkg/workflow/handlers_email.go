package workflow

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"strconv"
	"strings"
)

// sendEmail implements vela/email #SendEmail with plain SMTP and PLAIN auth.
func sendEmail(_ context.Context, in map[string]any) (map[string]any, error) {
	from, _ := in["from"].(map[string]any)
	content, _ := in["content"].(map[string]any)
	addr, _ := from["address"].(string)
	alias, _ := from["alias"].(string)
	password, _ := from["password"].(string)
	host, _ := from["host"].(string)
	port := fmt.Sprint(from["port"])
	if _, err := strconv.Atoi(port); err != nil {
		return nil, fmt.Errorf("email: from.port %q is not a number", port)
	}
	var to []string
	if list, ok := in["to"].([]any); ok {
		for _, x := range list {
			to = append(to, fmt.Sprint(x))
		}
	}
	subject, _ := content["subject"].(string)
	body, _ := content["body"].(string)
	sender := addr
	if alias != "" {
		sender = fmt.Sprintf("%s <%s>", alias, addr)
	}
	msg := "From: " + sender + "\r\nTo: " + strings.Join(to, ", ") + "\r\nSubject: " + subject +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n" + body
	auth := smtp.PlainAuth("", addr, password, host)
	if err := smtp.SendMail(net.JoinHostPort(host, port), auth, addr, to, []byte(msg)); err != nil {
		return nil, fmt.Errorf("email: sending to %s: %w", strings.Join(to, ", "), err)
	}
	return nil, nil
}
