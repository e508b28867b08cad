variable "admins" {
  description = "ARNs of the Lake Formation administrators (IAM roles or users): every principal that applies this environment, CI included. The list replaces the account's admin list."
  type        = list(string)

  validation {
    condition     = length(var.admins) > 0 && alltrue([for a in var.admins : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "admins must be a non-empty list of IAM role or user ARNs."
  }
}

variable "applying_principal" {
  description = "IAM ARN of the principal running Terraform (for an assumed role, the role: aws_iam_session_context.issuer_arn); it must be one of admins."
  type        = string
}
